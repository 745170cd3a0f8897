package gen

import (
	"math/rand/v2"
	"time"
)

// rng is the generator's one source of randomness, seeded, so that a seed
// gives the same output byte for byte.
type rng struct{ *rand.Rand }

func newRNG(seed uint64) *rng {
	return &rng{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// between returns an int in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.Float64() < p }

// ms returns a duration in [lo, hi] as milliseconds.
func (r *rng) ms(lo, hi time.Duration) int64 {
	a, b := lo.Milliseconds(), hi.Milliseconds()
	if b <= a {
		return a
	}
	return a + r.Int64N(b-a+1)
}

// jitter returns d (ms) changed by up to ±frac of itself.
func (r *rng) jitter(d int64, frac float64) int64 {
	return d + int64(float64(d)*frac*(2*r.Float64()-1))
}

// winPID returns a plausible Windows process ID (a multiple of 4).
func (r *rng) winPID() int { return 4 * r.between(300, 9000) }

// linuxPID returns a plausible Linux process ID.
func (r *rng) linuxPID() int { return r.between(1200, 64000) }

// port returns an ephemeral source port.
func (r *rng) port() int { return r.between(49152, 65535) }

// pick returns a random element of xs.
func pick[T any](r *rng, xs []T) T { return xs[r.IntN(len(xs))] }

const lowerHex = "0123456789abcdef"

// appendUUID appends a version 4 UUID made of the bits of a and b.
func appendUUID(dst []byte, a, b uint64) []byte {
	a = a&^(0xf<<12) | 0x4<<12     // version 4
	b = b&^(0x3<<62) | 0x2<<62     // RFC 4122 variant
	dst = appendHex(dst, a>>32, 8) // 8
	dst = append(dst, '-')         //
	dst = appendHex(dst, a>>16, 4) // 4
	dst = append(dst, '-')         //
	dst = appendHex(dst, a, 4)     // 4
	dst = append(dst, '-')         //
	dst = appendHex(dst, b>>48, 4) // 4
	dst = append(dst, '-')         //
	return appendHex(dst, b, 12)   // 12
}

// appendHex appends the low n hex digits of v.
func appendHex(dst []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, lowerHex[(v>>(4*uint(i)))&0xf])
	}
	return dst
}

// randHex returns n random lowercase hex digits.
func (r *rng) hex(n int) string {
	b := make([]byte, 0, n)
	for len(b) < n {
		k := min(n-len(b), 16)
		b = appendHex(b, r.Uint64(), k)
	}
	return string(b)
}

// letters returns n random characters of alphabet.
func (r *rng) letters(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	alnum   = "abcdefghijklmnopqrstuvwxyz0123456789"
	base32  = "abcdefghijklmnopqrstuvwxyz234567"
	upperAN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// splitmix64 mixes a value into a well-spread one, for derived hashes.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// appendFileHash appends a stable 64-hex-digit SHA-256-like digest of a
// file name, case-insensitively: the same binary has the same hash on every host.
func appendFileHash(dst []byte, name string) []byte {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * 1099511628211
	}
	for i := 0; i < 4; i++ {
		h = splitmix64(h)
		dst = appendHex(dst, h, 16)
	}
	return dst
}
