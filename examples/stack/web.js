// The example web front, a stand-in for a Vite dev server: it serves a page on PORT that shows
// the API's answer. Like `vite --mode dev${instance}` it learns the API's URL from the dotenv
// file `.env.dev<instance>.local`, which berth writes before starting it (write_env in
// ports.yaml), and it serves the config berth rendered from web.config.json.in (templates).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseEnv } from 'node:util';

const instance = process.env.BERTH_INSTANCE;
const envFile = new URL(`./.env.dev${instance}.local`, import.meta.url);
const vars = parseEnv(readFileSync(envFile, 'utf8'));
const apiUrl = vars.VITE_API_URL;
const config = readFileSync(new URL(`./web.config.dev${instance}.json`, import.meta.url), 'utf8');
const port = Number(process.env.PORT);

http
  .createServer(async (req, res) => {
    if (req.url === '/config.json') {
      res.setHeader('content-type', 'application/json');
      return res.end(config);
    }
    const answer = await fetch(apiUrl).then((r) => r.text(), (e) => `api unreachable: ${e.message}`);
    res.setHeader('content-type', 'text/html');
    res.end(`<h1>shop (instance ${instance})</h1><p>VITE_API_URL=${apiUrl} (from ${envFile.pathname.split('/').pop()}) says: <code>${answer}</code></p>`);
  })
  .listen(port, '127.0.0.1', () => console.log(`web on http://127.0.0.1:${port} (VITE_API_URL ${apiUrl} from .env.dev${instance}.local)`));
process.on('SIGTERM', () => process.exit(0));
