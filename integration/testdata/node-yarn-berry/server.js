'use strict';
// A minimal service on node's own http module with one dependency (ms).
const http = require('http');
const ms = require('ms');

const listen = (process.argv.find((a) => a.startsWith('--listen=')) || '--listen=:8080').slice(9);
const [host, port] = [listen.slice(0, listen.lastIndexOf(':')) || '0.0.0.0', Number(listen.slice(listen.lastIndexOf(':') + 1))];
const started = Date.now();

const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/healthz') return res.end(JSON.stringify({ status: 'ok' }));
  res.end(JSON.stringify({ uptime: ms(Date.now() - started + 1000), uid: String(process.getuid()) }));
});
server.listen(port, host, () => console.log(JSON.stringify({ level: 'info', msg: 'listening', port })));
process.on('SIGTERM', () => {
  console.log(JSON.stringify({ level: 'info', msg: 'stopped' }));
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
