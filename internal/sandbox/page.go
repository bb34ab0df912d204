package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// next_token values are stateless: base64url(version, position, MAC). The
// position is (day, index) on document routes, the next row's instant (ms)
// on time series and the index on ring_configuration. The MAC, keyed by the
// seed, covers the position and the query the token was issued for (route,
// user, dates, fields), so a forged token or one used with another query is
// rejected with 400, and the server keeps no per-query state.

const tokenVersion = 1

func (s *Server) makeToken(canon string, a, b int64) string {
	buf := make([]byte, 0, 32)
	buf = append(buf, tokenVersion)
	buf = binary.AppendVarint(buf, a)
	buf = binary.AppendVarint(buf, b)
	buf = append(buf, s.tokenMAC(buf, canon)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

func (s *Server) readToken(canon, tok string) (a, b int64, ok bool) {
	if len(tok) > 128 {
		return 0, 0, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) < 1+2+macLen || raw[0] != tokenVersion {
		return 0, 0, false
	}
	payload, mac := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(mac, s.tokenMAC(payload, canon)) {
		return 0, 0, false
	}
	rest := payload[1:]
	a, n := binary.Varint(rest)
	if n <= 0 {
		return 0, 0, false
	}
	b, m := binary.Varint(rest[n:])
	if m <= 0 || n+m != len(rest) {
		return 0, 0, false
	}
	return a, b, true
}

const macLen = 12

func (s *Server) tokenMAC(payload []byte, canon string) []byte {
	h := hmac.New(sha256.New, s.tokenKey)
	h.Write(payload)
	h.Write([]byte{0})
	h.Write([]byte(canon))
	return h.Sum(nil)[:macLen]
}
