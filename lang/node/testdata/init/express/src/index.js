import express from 'express';

const app = express();
const port = process.env.PORT || 3000;

app.get('/health', (req, res) => res.json({ status: 'ok' }));
app.get('/items', (req, res) => res.json([]));

const server = app.listen(port, () => console.log(`catalog listening on ${port}`));
process.on('SIGTERM', () => server.close());
