module.exports = { ...require('../../jest.preset.js'), displayName: 'invoices', rootDir: __dirname };
