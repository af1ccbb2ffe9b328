/**
 * A local HTTPS server that answers as a kube-apiserver would for the calls a test scripts,
 * and records every request: the cluster-side code is tested over real TLS and real HTTP,
 * without mocking any of our own functions.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { createCertificateAuthority, issueCertificate } from '../../src/certs/authority.ts';
import { KubeApi } from '../../src/cluster/kube-api.ts';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** The CN of the client certificate, when one was presented. */
  readonly clientCertificate?: string;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

/** Returns a reply, or takes the response over itself (watches) and returns undefined. */
export type Script = (request: RecordedRequest, response: ServerResponse) => Reply | undefined | Promise<Reply | undefined>;

export interface ScriptedServer {
  readonly url: string;
  readonly caPem: string;
  readonly requests: RecordedRequest[];
  /** A client for this server; closed at teardown. */
  api(options?: { token?: string; clientCertificate?: boolean }): KubeApi;
  setScript(script: Script): void;
}

type Pki = { caPem: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };

let pki: Promise<Pki> | undefined;

function sharedPki(): Promise<Pki> {
  pki ??= (async () => {
    const ca = await createCertificateAuthority('scripted-api-server-ca', 1);
    const server = await issueCertificate(ca, { commonName: 'scripted-api-server', ipAddresses: ['127.0.0.1'], usage: 'server', days: 1 });
    const client = await issueCertificate(ca, { commonName: 'netpol-hygiene-test', usage: 'client', days: 1 });
    return { caPem: ca.certPem, serverCert: server.certPem, serverKey: server.keyPem, clientCert: client.certPem, clientKey: client.keyPem };
  })();
  return pki;
}

/** A Status body, as the API server sends with every error. */
export function status(code: number, reason: string, message: string): Reply {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message } };
}

export async function startScriptedServer(t: Test, script: Script = () => status(404, 'NotFound', 'not scripted')): Promise<ScriptedServer> {
  const { caPem, serverCert, serverKey, clientCert, clientKey } = await sharedPki();
  const requests: RecordedRequest[] = [];
  let current = script;
  const server: Server = createServer({ cert: serverCert, key: serverKey, ca: caPem, requestCert: true, rejectUnauthorized: false }, (request, response) => {
    // A client that goes away mid-watch resets the connection; that is its right, not a failure here.
    request.on('error', () => {});
    response.on('error', () => {});
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const peer = (request.socket as import('node:tls').TLSSocket).getPeerCertificate();
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        ...(peer?.subject?.CN === undefined ? {} : { clientCertificate: String(peer.subject.CN) }),
      };
      requests.push(recorded);
      void Promise.resolve(current(recorded, response)).then((reply) => {
        if (reply === undefined) return;
        const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
        response.writeHead(reply.status, { 'content-type': 'application/json' }).end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const clients: KubeApi[] = [];
  t.teardown(async () => {
    for (const client of clients) client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    caPem,
    requests,
    api(options = {}) {
      const client = new KubeApi({
        server: url,
        ca: caPem,
        ...(options.clientCertificate === true ? { cert: clientCert, key: clientKey } : {}),
        ...(options.token === undefined ? {} : { token: () => options.token as string }),
        source: 'scripted test server',
      });
      clients.push(client);
      return client;
    },
    setScript(next) {
      current = next;
    },
  };
}
