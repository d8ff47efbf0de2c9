package torrent

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// scgiTransport carries one XML-RPC request per connection to rTorrent's SCGI listener (a
// unix socket or a TCP address): a netstring of headers, CONTENT_LENGTH first and SCGI=1,
// then the body; the answer is CGI-style, a Status line and headers before the XML.
type scgiTransport struct {
	network, address string
	timeout          time.Duration
}

func (s *scgiTransport) roundTrip(ctx context.Context, body []byte) ([]byte, error) {
	dialer := net.Dialer{Timeout: s.timeout}
	conn, err := dialer.DialContext(ctx, s.network, s.address)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)

	headers := "CONTENT_LENGTH\x00" + strconv.Itoa(len(body)) + "\x00SCGI\x001\x00REQUEST_METHOD\x00POST\x00REQUEST_URI\x00/RPC2\x00"
	var req bytes.Buffer
	req.WriteString(strconv.Itoa(len(headers)) + ":" + headers + ",")
	req.Write(body)
	if _, err = conn.Write(req.Bytes()); err != nil {
		return nil, err
	}
	reader := bufio.NewReader(io.LimitReader(conn, maxResponse))
	mime, err := textproto.NewReader(reader).ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("malformed SCGI answer: %w", err)
	}
	if status := mime.Get("Status"); status != "" && !strings.HasPrefix(status, "200") {
		return nil, fmt.Errorf("SCGI answer status %q", status)
	}
	return io.ReadAll(reader)
}

// httpXMLRPC carries XML-RPC over HTTP, for rTorrent behind a web server's /RPC2.
type httpXMLRPC struct {
	url      string
	username string
	password string
	client   *http.Client
}

func (h *httpXMLRPC) roundTrip(ctx context.Context, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	if h.username != "" || h.password != "" {
		req.SetBasicAuth(h.username, h.password)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return nil, ErrAuth
	default:
		return nil, fmt.Errorf("unexpected HTTP %d", resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxResponse))
}
