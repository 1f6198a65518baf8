module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'authn-infrastructure',
  rootDir: __dirname,
};
