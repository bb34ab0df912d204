package sandbox

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawRequest writes a raw HTTP/1.1 request and returns the status line.
func rawRequest(t *testing.T, addr, request string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(request)); err != nil {
		return "write error: " + err.Error()
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "read error: " + err.Error()
	}
	return strings.TrimSpace(line)
}

// TestMalformedRequests: requests no client should send are answered (or
// dropped) and the server keeps serving.
func TestMalformedRequests(t *testing.T) {
	s := mustNew(t, Options{Since: testSince, Until: testUntil})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr := strings.TrimPrefix(base, "http://")
	tests := []struct {
		name, request, want string
	}{
		{"huge query", "GET /v2/usercollection/sleep?start_date=" + strings.Repeat("9", 200000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "431"},
		{"bad percent-encoding in the path", "GET /v2/usercollection/%zz HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"bad percent-encoding in the query", "GET /v2/usercollection/tag?start_date=%zz&end_date=%%% HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sandbox-token-1\r\n\r\n", "200"},
		{"odd method", "BREW /v2/usercollection/tag HTTP/1.1\r\nHost: x\r\n\r\n", "405"},
		{"binary token", "GET /v2/usercollection/tag HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\xc3\r\n\r\n", "401"},
		{"huge token", "GET /v2/usercollection/tag HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + strings.Repeat("a", 10000) + "\r\n\r\n", "401"},
		{"document id of garbage", "GET /v2/usercollection/sleep/" + strings.Repeat("%41", 3000) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sandbox-token-1\r\n\r\n", "404"},
		{"not HTTP", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rawRequest(t, addr, tt.request); !strings.Contains(got, " "+tt.want+" ") && !strings.HasSuffix(got, " "+tt.want) {
				t.Errorf("status line %q, want %s", got, tt.want)
			}
		})
	}
	// Still serving.
	if r := get(t, base, "/v2/usercollection/personal_info", 1); r.status != http.StatusOK {
		t.Errorf("after the malformed requests: %d", r.status)
	}
}
