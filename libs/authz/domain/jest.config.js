module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'authz-domain',
  rootDir: __dirname,
};
