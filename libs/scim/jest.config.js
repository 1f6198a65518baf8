module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'scim',
  rootDir: __dirname,
};
