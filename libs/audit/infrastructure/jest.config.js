module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'audit-infrastructure',
  rootDir: __dirname,
};
