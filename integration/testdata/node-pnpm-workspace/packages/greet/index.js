'use strict';
const ms = require('ms');
module.exports = (since) => ({ status: 'ok', uptime: ms(Date.now() - since + 1000), uid: String(process.getuid()) });
