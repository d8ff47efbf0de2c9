package torrent

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The XML-RPC subset rTorrent speaks: requests carry strings, integers and arrays; answers
// carry strings, integers, arrays, structs and faults.

// encodeXMLRPC writes a methodCall.
func encodeXMLRPC(method string, params []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><methodCall><methodName>`)
	if err := xml.EscapeText(&b, []byte(method)); err != nil {
		return nil, err
	}
	b.WriteString(`</methodName><params>`)
	for _, p := range params {
		b.WriteString(`<param>`)
		if err := encodeXMLRPCValue(&b, p); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		b.WriteString(`</param>`)
	}
	b.WriteString(`</params></methodCall>`)
	return b.Bytes(), nil
}

func encodeXMLRPCValue(b *bytes.Buffer, v any) error {
	b.WriteString(`<value>`)
	switch x := v.(type) {
	case string:
		b.WriteString(`<string>`)
		if err := xml.EscapeText(b, []byte(x)); err != nil {
			return err
		}
		b.WriteString(`</string>`)
	case int:
		b.WriteString(`<i8>` + strconv.Itoa(x) + `</i8>`)
	case int64:
		b.WriteString(`<i8>` + strconv.FormatInt(x, 10) + `</i8>`)
	case []byte:
		b.WriteString(`<base64>` + base64.StdEncoding.EncodeToString(x) + `</base64>`)
	case []string:
		b.WriteString(`<array><data>`)
		for _, s := range x {
			if err := encodeXMLRPCValue(b, s); err != nil {
				return err
			}
		}
		b.WriteString(`</data></array>`)
	case []any:
		b.WriteString(`<array><data>`)
		for _, e := range x {
			if err := encodeXMLRPCValue(b, e); err != nil {
				return err
			}
		}
		b.WriteString(`</data></array>`)
	case map[string]any:
		b.WriteString(`<struct>`)
		for k, e := range x {
			b.WriteString(`<member><name>`)
			if err := xml.EscapeText(b, []byte(k)); err != nil {
				return err
			}
			b.WriteString(`</name>`)
			if err := encodeXMLRPCValue(b, e); err != nil {
				return err
			}
			b.WriteString(`</member>`)
		}
		b.WriteString(`</struct>`)
	default:
		return fmt.Errorf("xml-rpc: cannot encode %T", v)
	}
	b.WriteString(`</value>`)
	return nil
}

// XMLRPCFault is a fault answer.
type XMLRPCFault struct {
	Code   int64
	String string
}

func (f *XMLRPCFault) Error() string {
	return fmt.Sprintf("the client answered with fault %d: %s", f.Code, f.String)
}

// decodeXMLRPC reads a methodResponse: its one value (string, int64, []any, map[string]any)
// or an *XMLRPCFault as the error.
func decodeXMLRPC(r io.Reader) (any, error) {
	dec := xml.NewDecoder(r)
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("xml-rpc: no value in the answer: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch start.Name.Local {
		case "methodResponse", "params", "param", "fault":
			continue
		case "value":
			v, err := decodeXMLRPCValue(dec)
			if err != nil {
				return nil, err
			}
			if fault, ok := v.(map[string]any); ok && isFault(dec) {
				code, _ := fault["faultCode"].(int64)
				text, _ := fault["faultString"].(string)
				return nil, &XMLRPCFault{Code: code, String: text}
			}
			return v, nil
		default:
			return nil, fmt.Errorf("xml-rpc: unexpected <%s> in the answer", start.Name.Local)
		}
	}
}

// isFault reports whether the value just read closes a <fault>.
func isFault(dec *xml.Decoder) bool {
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if end, ok := tok.(xml.EndElement); ok {
			return end.Name.Local == "fault"
		}
	}
}

// decodeXMLRPCValue reads the content of a <value> up to and including its end tag.
func decodeXMLRPCValue(dec *xml.Decoder) (any, error) {
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("xml-rpc: truncated value: %w", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.EndElement: // </value> with bare text: a string
			return text.String(), nil
		case xml.StartElement:
			v, err := decodeXMLRPCTyped(dec, t)
			if err != nil {
				return nil, err
			}
			if err = skipToEnd(dec, "value"); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
}

func decodeXMLRPCTyped(dec *xml.Decoder, start xml.StartElement) (any, error) {
	switch start.Name.Local {
	case "string":
		var s string
		if err := dec.DecodeElement(&s, &start); err != nil {
			return nil, fmt.Errorf("xml-rpc: bad string: %w", err)
		}
		return s, nil
	case "i4", "i8", "int":
		var s string
		if err := dec.DecodeElement(&s, &start); err != nil {
			return nil, fmt.Errorf("xml-rpc: bad integer: %w", err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("xml-rpc: bad integer %q", s)
		}
		return n, nil
	case "boolean":
		var s string
		if err := dec.DecodeElement(&s, &start); err != nil {
			return nil, fmt.Errorf("xml-rpc: bad boolean: %w", err)
		}
		return strings.TrimSpace(s) == "1", nil
	case "double":
		var s string
		if err := dec.DecodeElement(&s, &start); err != nil {
			return nil, fmt.Errorf("xml-rpc: bad double: %w", err)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("xml-rpc: bad double %q", s)
		}
		return f, nil
	case "base64":
		var s string
		if err := dec.DecodeElement(&s, &start); err != nil {
			return nil, fmt.Errorf("xml-rpc: bad base64: %w", err)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("xml-rpc: bad base64: %w", err)
		}
		return string(raw), nil
	case "array":
		return decodeXMLRPCArray(dec)
	case "struct":
		return decodeXMLRPCStruct(dec)
	default:
		return nil, fmt.Errorf("xml-rpc: unknown type <%s>", start.Name.Local)
	}
}

func decodeXMLRPCArray(dec *xml.Decoder) ([]any, error) {
	out := []any{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("xml-rpc: truncated array: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "value" {
				v, err := decodeXMLRPCValue(dec)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			} else if t.Name.Local != "data" {
				return nil, fmt.Errorf("xml-rpc: unexpected <%s> in an array", t.Name.Local)
			}
		case xml.EndElement:
			if t.Name.Local == "array" {
				return out, nil
			}
		}
	}
}

func decodeXMLRPCStruct(dec *xml.Decoder) (map[string]any, error) {
	out := map[string]any{}
	var name string
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("xml-rpc: truncated struct: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "member":
			case "name":
				if err = dec.DecodeElement(&name, &t); err != nil {
					return nil, fmt.Errorf("xml-rpc: bad member name: %w", err)
				}
			case "value":
				v, err := decodeXMLRPCValue(dec)
				if err != nil {
					return nil, err
				}
				out[name] = v
			default:
				return nil, fmt.Errorf("xml-rpc: unexpected <%s> in a struct", t.Name.Local)
			}
		case xml.EndElement:
			if t.Name.Local == "struct" {
				return out, nil
			}
		}
	}
}

func skipToEnd(dec *xml.Decoder, name string) error {
	for {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("xml-rpc: missing </%s>: %w", name, err)
		}
		if end, ok := tok.(xml.EndElement); ok && end.Name.Local == name {
			return nil
		}
	}
}
