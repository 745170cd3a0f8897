package sink

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// NewSyslog returns a sink that sends each message as an RFC 5424 syslog
// message to addr (host:port) over network "udp" or "tcp" (octet-counted
// framing, RFC 6587, as rsyslog and syslog-ng read it). The MSG is the
// message rendered by opt.Render; its severity comes from opt.Severity.
// Network errors are retried, reconnecting over TCP.
func NewSyslog(network, addr string, opt DeliveryOptions) (pipeline.Sink, error) {
	if network != "udp" && network != "tcp" {
		return nil, fmt.Errorf("syslog: network %q: want udp or tcp", network)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("syslog: %q: want HOST:PORT", addr)
	}
	if opt.Facility == 0 {
		opt.Facility = 4
	}
	if opt.AppName == "" {
		opt.AppName = "secpipe"
	}
	if opt.Hostname == "" {
		opt.Hostname, _ = os.Hostname()
	}
	s := &syslogConn{network: network, addr: addr, opt: opt}
	d := newDeliverer("syslog+"+network+"://"+addr, opt, s.send)
	return &syslogSink{deliverer: d, conn: s}, nil
}

type syslogSink struct {
	*deliverer
	conn *syslogConn
}

// Close implements pipeline.Sink.
func (s *syslogSink) Close() error { return s.conn.close() }

type syslogConn struct {
	network, addr string
	opt           DeliveryOptions
	c             net.Conn
	buf           []byte
}

func (s *syslogConn) send(ctx context.Context, msg, value []byte) error {
	sev := 5
	if s.opt.Severity != nil {
		sev = s.opt.Severity(value)
	}
	s.buf = AppendRFC5424(s.buf[:0], s.opt.Facility*8+sev, time.Now(), s.opt.Hostname, s.opt.AppName, "alert", msg)
	if s.c == nil {
		var d net.Dialer
		c, err := d.DialContext(ctx, s.network, s.addr)
		if err != nil {
			return &deliveryError{err: err, temporary: true}
		}
		s.c = c
	}
	frame := s.buf
	if s.network == "tcp" {
		frame = append(strconv.AppendInt(nil, int64(len(s.buf)), 10), ' ')
		frame = append(frame, s.buf...)
	}
	s.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := s.c.Write(frame); err != nil {
		s.c.Close()
		s.c = nil
		return &deliveryError{err: err, temporary: true}
	}
	return nil
}

func (s *syslogConn) close() error {
	if s.c == nil {
		return nil
	}
	err := s.c.Close()
	s.c = nil
	return err
}

// AppendRFC5424 appends one RFC 5424 syslog message, without framing:
// "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG".
func AppendRFC5424(dst []byte, pri int, t time.Time, host, app, msgID string, msg []byte) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(pri), 10)
	dst = append(dst, ">1 "...)
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
	dst = append(dst, ' ')
	dst = append(dst, headerField(host, 255)...)
	dst = append(dst, ' ')
	dst = append(dst, headerField(app, 48)...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(os.Getpid()), 10)
	dst = append(dst, ' ')
	dst = append(dst, headerField(msgID, 32)...)
	dst = append(dst, " - "...)
	return append(dst, msg...)
}

// headerField makes s a valid header field: printable ASCII without
// spaces, at most max long, "-" when empty.
func headerField(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max]
	}
	if s == "" {
		return "-"
	}
	return s
}

func init() {
	for _, network := range []string{"udp", "tcp"} {
		Register("syslog+"+network, func(_ context.Context, s pipeline.Spec, opt Options) (pipeline.Sink, error) {
			return NewSyslog(network, s.Path, opt.Delivery)
		})
	}
}
