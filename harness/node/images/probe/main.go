// The real-node tests' workload.
//
//	probe serve PORT...           listen on each TCP PORT (answering "ok") and echo on UDP 53
//	probe probe [-timeout D] TARGET...
//	                              try every TARGET (IP:PORT/tcp or IP:PORT/udp) at once and print
//	                              one JSON array: [{"target":..., "ok":bool, "error":...}]
//
// One `kubectl exec` per source pod tries all its targets, so a whole matrix costs one exec per pod.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe serve PORT... | probe probe [-timeout D] IP:PORT/PROTO...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "probe":
		flags := flag.NewFlagSet("probe", flag.ExitOnError)
		timeout := flags.Duration("timeout", 2*time.Second, "how long one try may take")
		_ = flags.Parse(os.Args[2:])
		results := probeAll(flags.Args(), *timeout)
		if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
			os.Exit(1)
		}
	default:
		fmt.Fprintf(os.Stderr, "probe: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}

func serve(ports []string) {
	for _, port := range ports {
		listener, err := net.Listen("tcp", ":"+port)
		if err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			os.Exit(1)
		}
		go acceptForever(listener)
	}
	conn, err := net.ListenPacket("udp", ":53")
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
	fmt.Printf("probe: serving tcp %s and udp 53\n", strings.Join(ports, ","))
	echoForever(conn)
}

func acceptForever(listener net.Listener) {
	for {
		conn, err := listener.Accept()
		if err != nil {
			continue
		}
		_, _ = conn.Write([]byte("ok\n"))
		_ = conn.Close()
	}
}

func echoForever(conn net.PacketConn) {
	buf := make([]byte, 512)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			continue
		}
		_, _ = conn.WriteTo(buf[:n], from)
	}
}

// Result is one target's outcome; Error says why a try failed (refused, timed out, ...).
type Result struct {
	Target string `json:"target"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
}

func probeAll(targets []string, timeout time.Duration) []Result {
	results := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, target := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := try(target, timeout)
			results[i] = Result{Target: target, OK: err == nil}
			if err != nil {
				results[i].Error = err.Error()
			}
		}()
	}
	wg.Wait()
	return results
}

func try(target string, timeout time.Duration) error {
	address, proto, found := strings.Cut(target, "/")
	if !found || (proto != "tcp" && proto != "udp") {
		return fmt.Errorf("target %q is not IP:PORT/tcp or IP:PORT/udp", target)
	}
	conn, err := net.DialTimeout(proto, address, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	// A TCP connection accepted is enough, but the server's greeting proves it reached the
	// server and not something answering for it; over UDP only an echo proves anything.
	if proto == "udp" {
		if _, err := conn.Write([]byte("probe")); err != nil {
			return err
		}
	}
	buf := make([]byte, 16)
	if _, err := conn.Read(buf); err != nil {
		return err
	}
	return nil
}
