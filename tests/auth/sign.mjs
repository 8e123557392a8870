// Signs a JWT with node's own crypto, as an application outside this project would:
//   node sign.mjs ALG KEY_OR_PEM_FILE SUB [TTL_SECONDS]
// ALG: HS256 (KEY is the secret) or ES256/RS256 (KEY is a PEM private key file).
// ES256 signatures are raw R||S (IEEE P1363), as RFC 7518 says.
import crypto from 'node:crypto';
import fs from 'node:fs';

const [alg, key, sub, ttl = '600'] = process.argv.slice(2);
const b64u = (b) => Buffer.from(b).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const head = b64u(JSON.stringify({ alg, typ: 'JWT' }));
const body = b64u(JSON.stringify({ sub, iat: now, exp: now + Number(ttl) }));
const data = Buffer.from(`${head}.${body}`);
let sig;
if (alg === 'HS256') sig = crypto.createHmac('sha256', key).update(data).digest();
else if (alg === 'ES256') sig = crypto.sign('sha256', data, { key: fs.readFileSync(key), dsaEncoding: 'ieee-p1363' });
else if (alg === 'RS256') sig = crypto.sign('sha256', data, fs.readFileSync(key));
else throw new Error(`unknown alg ${alg}`);
process.stdout.write(`${head}.${body}.${b64u(sig)}\n`);
