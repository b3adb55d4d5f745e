// The limit row's server, in a process of its own like the services: the catalogue's route shapes on a bare
// Fastify (the one the services run), each answered with the bytes and headers of a real Shop answer. What
// is left is the cost of Node's HTTP, Fastify's routing and the loopback: the most any service could reach.
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import type { LimitAnswers } from "./limit-row.ts";

// Stops with the bench, however the bench ends: the IPC channel closes with it.
process.on("disconnect", () => process.exit(0));

process.once("message", async (answers: LimitAnswers) => {
  const app = Fastify();
  for (const { path, status, headers, body } of Object.values(answers)) {
    const bytes = Buffer.from(body);
    app.get(path, (_request, reply) => {
      reply.code(status).headers(headers).send(bytes);
    });
  }
  await app.listen({ host: "127.0.0.1", port: 0 });
  process.send?.({ port: (app.server.address() as AddressInfo).port, fastify: app.version });
});
process.send?.({ ready: true });
