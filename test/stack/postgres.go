package stack

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync/atomic"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver the tests create databases with
)

// Postgres is a throwaway PostgreSQL server on 127.0.0.1, with trust auth for user seedgate.
type Postgres struct {
	Port int
	dir  string
	bin  string
	asPG bool // the server runs as the postgres user because we are root
	n    atomic.Int64
}

// FindPostgres returns Debian's PostgreSQL server binaries directory.
func FindPostgres() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", fmt.Errorf("PostgreSQL server not installed (run `make deps` or apt-get install postgresql)")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

// StartPostgres initialises a cluster in dir and starts it on a free port. As root, where the
// server must run as the postgres user, the cluster lives in a temporary directory of its own
// (dir's parents may be closed to that user) and Stop removes it.
func StartPostgres(ctx context.Context, dir string) (*Postgres, error) {
	bin, err := FindPostgres()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p := &Postgres{Port: port, dir: dir, bin: bin, asPG: os.Geteuid() == 0}
	if p.asPG {
		if p.dir, err = os.MkdirTemp("", "sg-pg-"); err != nil {
			return nil, err
		}
		dir = p.dir
	} else if err = os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if p.asPG { // PostgreSQL refuses to run as root
		pg, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err = os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := p.run(ctx, "initdb", "-D", data, "-U", "seedgate", "--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off", port, dir)
	if out, err := p.run(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts, "-w", "start"); err != nil {
		return nil, fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return p, nil
}

func (p *Postgres) run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	program := filepath.Join(p.bin, tool)
	if p.asPG {
		args = append([]string{"-u", "postgres", "--", program}, args...)
		program = "runuser"
	}
	return exec.CommandContext(ctx, program, args...).CombinedOutput()
}

// URI returns a connection URI for a database.
func (p *Postgres) URI(database string) string {
	return fmt.Sprintf("postgres://seedgate@127.0.0.1:%d/%s?sslmode=disable", p.Port, database)
}

// NewDatabase creates a fresh, empty database and returns its URI.
func (p *Postgres) NewDatabase(ctx context.Context) (string, error) {
	db, err := sql.Open("pgx", p.URI("postgres"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	name := fmt.Sprintf("t%d", p.n.Add(1))
	if _, err = db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return p.URI(name), nil
}

// Stop stops the server at once; its data is thrown away with the directory.
func (p *Postgres) Stop() {
	_, _ = p.run(context.Background(), "pg_ctl", "-D", filepath.Join(p.dir, "data"), "-m", "immediate", "stop")
	if p.asPG {
		_ = os.RemoveAll(p.dir)
	}
}
