'use strict';
/*
 * A second benchmark peer: an OCPP 1.6 central system on Node's ocpp-rpc package.
 *
 * Strict validation on (every CALL and CALLRESULT checked against the OCPP 1.6 JSON
 * schemas, both ways), nothing stored, the same actions answered the same way as
 * bench/comparison.py, plus a tiny HTTP endpoint that sends one ClearCache to every
 * connected charger (the broadcast).
 *
 *     node server.js --port 9500 --control-port 9501 [--verbose]
 *
 * Chargers connect to ws://127.0.0.1:PORT/ocpp/<station id> with subprotocol ocpp1.6.
 * bench/peers.py starts it (start_node_peer).
 */

const http = require('http');
const { RPCServer } = require('ocpp-rpc');

function parseArgs(argv) {
    const args = { port: 9500, controlPort: 9501, host: '127.0.0.1', verbose: false };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
            return argv[++i];
        };
        if (flag === '--port') args.port = Number(value());
        else if (flag === '--control-port') args.controlPort = Number(value());
        else if (flag === '--host') args.host = value();
        else if (flag === '--verbose') args.verbose = true;
        else throw new Error(`unknown argument ${flag}`);
    }
    return args;
}

const args = parseArgs(process.argv.slice(2));
const log = (...parts) => {
    if (args.verbose) console.error(new Date().toISOString(), ...parts);
};

const rpcServer = new RPCServer({
    protocols: ['ocpp1.6'],
    strictMode: true,
    // Keep-alive: a WebSocket ping every 30 s; a client that has not answered the
    // previous ping when the next one is due is dropped. That is ocpp-rpc's default,
    // spelt out here: the simulated chargers answer pings, and the comparison
    // (websockets' defaults) pings too.
    pingIntervalMs: 30000,
    // Outbound CALLs (the broadcast's ClearCache): rejected after 30 s without an
    // answer, like the `ocpp` package's default response timeout.
    callTimeoutMs: 30000,
    // ws: no compression (the default; the simulator does not offer it either).
    wssOptions: { perMessageDeflate: false },
});

// Station id -> client. A charger reconnecting under the same id replaces the old entry,
// like the comparison's CHARGERS dict.
const chargers = new Map();

rpcServer.auth((accept, reject, handshake) => {
    if (handshake.endpoint !== '/ocpp' || !handshake.identity) {
        reject(404, 'Not found');
    } else if (!handshake.protocols.has('ocpp1.6')) {
        reject(400, 'Subprotocol ocpp1.6 required');
    } else {
        accept({}, 'ocpp1.6'); // any station id, no authentication
    }
});

rpcServer.on('error', (err) => log('server error:', err.message));
if (args.verbose) {
    rpcServer.on('upgradeAborted', ({ error, identity }) =>
        log('upgrade aborted:', identity, error && error.message));
}

const now = () => new Date().toISOString();

rpcServer.on('client', (client) => {
    const id = client.identity;
    chargers.set(id, client);
    client.once('close', () => {
        if (chargers.get(id) === client) chargers.delete(id);
    });
    if (args.verbose) {
        client.on('strictValidationFailure', ({ method, outbound, isCall, error }) =>
            log('strict validation failure:', id, method, outbound ? 'out' : 'in',
                isCall ? 'call' : 'result', error && error.message));
        client.on('badMessage', ({ error }) => log('bad message:', id, error && error.message));
    }

    client.handle('BootNotification', () => ({
        status: 'Accepted', currentTime: now(), interval: 300,
    }));
    client.handle('Heartbeat', () => ({ currentTime: now() }));
    client.handle('StatusNotification', () => ({}));
    client.handle('MeterValues', () => ({}));
    client.handle('Authorize', () => ({ idTagInfo: { status: 'Accepted' } }));
    client.handle('StartTransaction', () => ({
        transactionId: 1, idTagInfo: { status: 'Accepted' },
    }));
    client.handle('StopTransaction', () => ({}));
    // Anything else: ocpp-rpc answers a CALLERROR NotImplemented.
});

// The broadcast: one ClearCache CALL to every connected charger, fired and not awaited
// (answers, timeouts and disconnects are swallowed), then 201 with the count, as the
// comparison does.
function broadcast(res) {
    let sent = 0;
    for (const client of chargers.values()) {
        client.call('ClearCache', {}).catch((err) => log('ClearCache failed:', client.identity, err.message));
        sent++;
    }
    res.writeHead(201, { 'content-type': 'text/plain' });
    res.end(String(sent));
}

const control = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/broadcast') {
        req.resume();
        req.on('end', () => broadcast(res));
    } else {
        res.writeHead(404);
        res.end();
    }
});

// ocpp-rpc's own listen() takes node's default accept backlog (511); a storm of
// 1,000 handshakes at once overflows it, so the HTTP server is ours, with the same
// backlog as the comparison (4096), and ocpp-rpc takes its upgrades.
const wsHttp = http.createServer({ noDelay: true }, (req, res) => {
    res.writeHead(404);
    res.end();
});
wsHttp.on('upgrade', rpcServer.handleUpgrade);

function listen(server, port) {
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host: args.host, backlog: 4096 }, () => {
            server.off('error', reject);
            resolve();
        });
    });
}

function stop(signal) {
    log(`${signal}: exiting`);
    process.exit(0);
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

(async () => {
    await listen(control, args.controlPort);
    await listen(wsHttp, args.port);
    log(`listening on ws://${args.host}:${args.port}/ocpp, control on ${args.controlPort}`);
})().catch((err) => {
    console.error(err);
    process.exit(1);
});
