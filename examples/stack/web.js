// The example web front: serves a page on PORT that shows the API's answer. It learns the
// API's port from the env_file berth writes before starting it (.env.local, <SERVICE>_PORT).
import { readFileSync } from 'node:fs';
import http from 'node:http';

const envFile = new URL('./.env.local', import.meta.url);
const vars = Object.fromEntries(
  readFileSync(envFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => line.split('=', 2)),
);
const apiUrl = `http://127.0.0.1:${vars.API_PORT}`;
const port = Number(process.env.PORT);

http
  .createServer(async (req, res) => {
    const answer = await fetch(apiUrl).then((r) => r.text(), (e) => `api unreachable: ${e.message}`);
    res.setHeader('content-type', 'text/html');
    res.end(`<h1>shop (instance ${process.env.BERTH_INSTANCE})</h1><p>API ${apiUrl} says: <code>${answer}</code></p>`);
  })
  .listen(port, '127.0.0.1', () => console.log(`web on http://127.0.0.1:${port} (api ${apiUrl})`));
process.on('SIGTERM', () => process.exit(0));
