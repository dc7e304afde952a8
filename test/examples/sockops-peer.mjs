// Child process for the sockops_redir test: joins the cgroup given as argv[2] (so the sockops program
// sees its sockets), opens a TCP connection over 127.0.0.1 and exchanges messages both ways.
// Prints a JSON summary of what each side received.
import { writeFileSync } from "node:fs";
import net from "node:net";

writeFileSync(`${process.argv[2]}/cgroup.procs`, String(process.pid));
const ROUNDS = Number(process.argv[3] ?? 5);
const server = net.createServer((s) => {
  let got = "";
  s.on("data", (d) => {
    got += d;
    // Echo each complete line back, upper-cased, so the reply travels the other way.
    let i;
    while ((i = got.indexOf("\n")) >= 0) { s.write(got.slice(0, i).toUpperCase() + "\n"); got = got.slice(i + 1); }
  });
});
server.listen(0, "127.0.0.1", () => {
  const c = net.connect(server.address().port, "127.0.0.1");
  let replies = "";
  let sent = 0;
  const send = () => { c.write(`message ${sent++}\n`); };
  c.on("connect", () => setTimeout(send, 50)); // let both ends reach ESTABLISHED and the sockhash
  c.on("data", (d) => {
    replies += d;
    if (replies.split("\n").length - 1 >= sent && sent < ROUNDS) send();
    if (replies.split("\n").length - 1 === ROUNDS) {
      console.log(JSON.stringify({ replies: replies.trim().split("\n") }));
      c.end(); server.close(); process.exit(0);
    }
  });
  setTimeout(() => { console.log(JSON.stringify({ timeout: true, replies })); process.exit(1); }, 5000);
});
