// Child process that runs the fauxqs S3/SQS emulator on loopback only and prints {"port": N} when listening.
// fauxqs 1.9.2 always listens on 0.0.0.0, so net.Server#listen is wrapped before it is imported.
import net from "node:net";

const requested = Number(process.argv[2] ?? "0");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [first] = args;
  if (typeof first === "object" && first !== null) args[0] = { ...first, host: "127.0.0.1" };
  else if (typeof first === "number" || typeof first === "string") {
    if (typeof args[1] === "string") args[1] = "127.0.0.1";
    else args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};

const { startFauxqs } = await import("fauxqs");
const server = await startFauxqs({ port: requested, logger: false });
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
const stop = () => server.stop().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// Exit with the parent: a test runner that dies must not leave the emulator behind.
process.stdin.on("end", stop);
process.stdin.resume();
