module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'directory-domain',
  rootDir: __dirname,
};
