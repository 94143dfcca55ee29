'use strict';
// One package of a workspace: it uses a sibling package (@demo/greet).
const http = require('http');
const greet = require('@demo/greet');

const listen = (process.argv.find((a) => a.startsWith('--listen=')) || '--listen=:8080').slice(9);
const i = listen.lastIndexOf(':');
const started = Date.now();
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(greet(started)));
});
server.listen(Number(listen.slice(i + 1)), listen.slice(0, i) || '0.0.0.0');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
