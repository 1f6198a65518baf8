module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'authn-domain',
  rootDir: __dirname,
};
