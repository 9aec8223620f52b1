import os
import subprocess


def commands(user):
    # ruleid: python-subprocess-shell-true
    subprocess.run("ls " + user, shell=True)
    # ruleid: python-subprocess-shell-true
    subprocess.Popen(f"grep {user} /etc/passwd", shell=True)
    # ok: python-subprocess-shell-true
    subprocess.run(["ls", user])
    # ok: python-subprocess-shell-true
    subprocess.run("ls -l", shell=True)
    # ruleid: python-os-system-dynamic
    os.system("rm -rf " + user)
    # ok: python-os-system-dynamic
    os.system("uptime")


def queries(cursor, name):
    # ruleid: python-sql-string-building
    cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
    # ruleid: python-sql-string-building
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)
    query = "DELETE FROM users WHERE name = '" + name + "'"
    # ruleid: python-sql-string-building
    cursor.execute(query)
    # ok: python-sql-string-building
    cursor.execute("SELECT * FROM users WHERE name = %s", (name,))


def evaluate(expr):
    # ruleid: python-eval-dynamic
    eval(expr)
    # ruleid: python-eval-dynamic
    exec(expr)
    # ok: python-eval-dynamic
    eval("1 + 1")
