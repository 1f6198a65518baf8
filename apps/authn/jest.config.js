module.exports = { ...require('../../jest.preset.js'), displayName: 'authn', rootDir: __dirname };
