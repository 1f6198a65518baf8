module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'directory-infrastructure',
  rootDir: __dirname,
};
