package sandbox

// Document ids are UUID-formatted (version 4 layout, like Oura's) and
// deterministic: they encode the record's key (collection, user, day, index)
// under a keyed Feistel permutation of the 122 free bits of a UUID, so the
// server can find a document from its id alone, ids look random, and a
// mistyped or foreign id decodes to a key that fails its check bits.

const (
	mask61   = 1<<61 - 1
	idRounds = 6
	// Payload layout (low bits first): index 8 bits, day 24 bits (offset by
	// 2^23), user 20 bits, collection 5 bits; the other 65 bits must be zero.
	idIdxBits  = 8
	idDayBits  = 24
	idUserBits = 20
	idCollBits = 5
)

// maxIDUsers is the number of users ids can tell apart.
const maxIDUsers = 1<<idUserBits - 1

// idKey identifies one document.
type idKey struct {
	coll uint8
	user int
	day  Date
	idx  int
}

type idCodec struct{ k [idRounds]uint64 }

func newIDCodec(seed uint64) idCodec {
	var c idCodec
	for i := range c.k {
		c.k[i] = streamKey(seed, 0, tagIDKey, 0, uint64(i))
	}
	return c
}

func (c *idCodec) round(i int, x uint64) uint64 { return mix64(x^c.k[i]) & mask61 }

// encode returns the UUID string of k.
func (c *idCodec) encode(k idKey) [36]byte {
	p := uint64(k.idx) | uint64(uint32(int32(k.day)+1<<23)&(1<<idDayBits-1))<<idIdxBits |
		uint64(k.user)<<(idIdxBits+idDayBits) | uint64(k.coll)<<(idIdxBits+idDayBits+idUserBits)
	// 122-bit value: L (61 bits) = payload high part, R = payload low part.
	l, r := p>>61, p&mask61
	for i := 0; i < idRounds; i++ {
		l, r = r, l^c.round(i, r)
	}
	hi60 := l >> 1
	lo62 := (l&1)<<61 | r
	hi := (hi60>>12)<<16 | 0x4<<12 | hi60&0xfff
	lo := uint64(0b10)<<62 | lo62
	return formatUUID(hi, lo)
}

// decode parses a UUID string and returns its key; ok is false for anything
// that is not an id this codec made.
func (c *idCodec) decode(s string) (idKey, bool) {
	hi, lo, ok := parseUUID(s)
	if !ok || (hi>>12)&0xf != 4 || lo>>62 != 0b10 {
		return idKey{}, false
	}
	hi60 := (hi>>16)<<12 | hi&0xfff
	lo62 := lo & (1<<62 - 1)
	l := hi60<<1 | lo62>>61
	r := lo62 & mask61
	for i := idRounds - 1; i >= 0; i-- {
		l, r = r^c.round(i, l), l
	}
	// The payload has 57 bits: all of L and the top 4 bits of R are check bits.
	if l != 0 || r>>(idIdxBits+idDayBits+idUserBits+idCollBits) != 0 {
		return idKey{}, false
	}
	p := r
	k := idKey{
		idx:  int(p & (1<<idIdxBits - 1)),
		day:  Date(int32(p>>idIdxBits&(1<<idDayBits-1)) - 1<<23),
		user: int(p >> (idIdxBits + idDayBits) & (1<<idUserBits - 1)),
		coll: uint8(p >> (idIdxBits + idDayBits + idUserBits) & (1<<idCollBits - 1)),
	}
	return k, true
}

const hexDigits = "0123456789abcdef"

func formatUUID(hi, lo uint64) [36]byte {
	var b [36]byte
	j := 0
	put := func(v uint64, nibbles int) {
		for i := nibbles - 1; i >= 0; i-- {
			b[j] = hexDigits[(v>>(4*uint(i)))&0xf]
			j++
		}
	}
	put(hi>>32, 8)
	b[j] = '-'
	j++
	put(hi>>16&0xffff, 4)
	b[j] = '-'
	j++
	put(hi&0xffff, 4)
	b[j] = '-'
	j++
	put(lo>>48, 4)
	b[j] = '-'
	j++
	put(lo&0xffffffffffff, 12)
	return b
}

func parseUUID(s string) (hi, lo uint64, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return 0, 0, false
	}
	n := 0
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		c := s[i]
		var v uint64
		switch {
		case c >= '0' && c <= '9':
			v = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			v = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = uint64(c-'A') + 10
		default:
			return 0, 0, false
		}
		if n < 16 {
			hi = hi<<4 | v
		} else {
			lo = lo<<4 | v
		}
		n++
	}
	return hi, lo, true
}
