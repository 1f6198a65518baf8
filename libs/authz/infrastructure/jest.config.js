module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'authz-infrastructure',
  rootDir: __dirname,
};
