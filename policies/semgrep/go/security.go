package main

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"fmt"
	"os/exec"

	"github.com/golang-jwt/jwt/v5"
)

func run(name string) {
	// ruleid: go-exec-shell-dynamic
	exec.Command("sh", "-c", "ls "+name).Run()
	// ok: go-exec-shell-dynamic
	exec.Command("ls", name).Run()
	// ok: go-exec-shell-dynamic
	exec.Command("sh", "-c", "uptime").Run()
}

func query(db *sql.DB, name string) {
	// ruleid: go-sql-string-building
	db.Query(fmt.Sprintf("SELECT * FROM users WHERE name = '%s'", name))
	// ruleid: go-sql-string-building
	db.Exec("DELETE FROM users WHERE name = '" + name + "'")
	// ok: go-sql-string-building
	db.Query("SELECT * FROM users WHERE name = $1", name)
}

func client() *tls.Config {
	// ruleid: go-tls-insecure-skip-verify
	insecure := &tls.Config{InsecureSkipVerify: true}
	// ok: go-tls-insecure-skip-verify
	secure := &tls.Config{MinVersion: tls.VersionTLS12}
	_ = secure
	return insecure
}

func digest(data []byte) {
	// ruleid: go-weak-hash
	md5.Sum(data)
	// ok: go-weak-hash
	sha256.Sum256(data)
}

func token(claims jwt.MapClaims) {
	// ruleid: go-jwt-none-algorithm
	t := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	// ok: go-jwt-none-algorithm
	u := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	_, _ = t, u
}
