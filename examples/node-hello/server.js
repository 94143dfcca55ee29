'use strict';
// node-hello: a small Express service. JSON logs on stdout, /healthz for
// probes, and a graceful stop on SIGTERM: in-flight requests finish, then
// the process exits 0.
const express = require('express');
const pkg = require('./package.json');

function log(level, msg, fields = {}) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
}

// --listen=HOST:PORT or --listen=:PORT (as the Go example takes it).
function listenAddress(argv) {
  let host = '0.0.0.0';
  let port = Number(process.env.PORT || 8080);
  for (const arg of argv) {
    const m = /^--listen=(.*):(\d+)$/.exec(arg);
    if (m) {
      host = m[1] || '0.0.0.0';
      port = Number(m[2]);
    }
  }
  return { host, port };
}

const app = express();
app.disable('x-powered-by');

let stopping = false;
app.get('/healthz', (req, res) => {
  if (stopping) return res.status(503).json({ status: 'stopping' });
  res.json({ status: 'ok' });
});

app.get('/', (req, res) => {
  res.json({ message: `hello from ${pkg.name} ${pkg.version}`, node: process.version, uid: String(process.getuid()) });
});

const { host, port } = listenAddress(process.argv.slice(2));
const server = app.listen(port, host, () => {
  log('info', 'listening', { host, port, node: process.version, env: process.env.NODE_ENV });
});

function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log('info', 'shutting down', { signal });
  server.close((err) => {
    if (err) {
      log('error', 'close failed', { error: err.message });
      process.exit(1);
    }
    log('info', 'stopped');
    process.exit(0);
  });
  server.closeIdleConnections();
  // Do not outlive the grace period with a stuck connection.
  setTimeout(() => {
    log('warn', 'forcing exit after 10s');
    process.exit(1);
  }, 10000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
