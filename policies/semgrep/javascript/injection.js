const cp = require("child_process");
const { exec } = require("child_process");

function run(req, db) {
  // ruleid: js-child-process-dynamic
  cp.exec("ls " + req.query.dir);
  // ruleid: js-child-process-dynamic
  exec(`tar xf ${req.body.name}`);
  // ok: js-child-process-dynamic
  cp.exec("uptime");
  // ok: js-child-process-dynamic
  cp.execFile("ls", [req.query.dir]);
  // ok: js-child-process-dynamic
  /a+/.exec(req.query.dir);

  // ruleid: js-eval-dynamic
  eval(req.query.expr);
  // ruleid: js-eval-dynamic
  const f = new Function("a", req.body.code);
  // ok: js-eval-dynamic
  eval("2 + 2");
  // ok: js-eval-dynamic
  setTimeout(() => console.log("tick"), 100);

  // ruleid: js-sql-string-building
  db.query("SELECT * FROM users WHERE id = " + req.params.id);
  // ruleid: js-sql-string-building
  db.query(`SELECT * FROM users WHERE name = '${req.query.name}'`);
  // ok: js-sql-string-building
  db.query("SELECT * FROM users WHERE id = $1", [req.params.id]);
  return f;
}
