package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Record is one audited request.
type Record struct {
	Time           time.Time `json:"time"`
	RequestID      string    `json:"request_id"`               // the facade's own id, unique
	CorrelationID  string    `json:"correlation_id,omitempty"` // the caller's X-Request-ID
	SSPTraceID     string    `json:"ssp_trace_id,omitempty"`
	SSPFrom        string    `json:"ssp_from,omitempty"`        // the consumer's ASID
	SSPTo          string    `json:"ssp_to,omitempty"`          // this service's ASID
	SSPInteraction string    `json:"ssp_interaction,omitempty"` // Ssp-InteractionID
	Issuer         string    `json:"iss,omitempty"`
	Subject        string    `json:"sub,omitempty"`
	ClientID       string    `json:"client_id,omitempty"`
	TokenID        string    `json:"jti,omitempty"` // the token's jti: which token was used
	Practitioner   string    `json:"practitioner,omitempty"`
	Organisation   string    `json:"organisation,omitempty"`
	Role           string    `json:"role,omitempty"`   // the practitioner's SDS role profile (SSP claims)
	Device         string    `json:"device,omitempty"` // the requesting system's device (SSP claims)
	Purpose        string    `json:"purpose,omitempty"`
	Interaction    string    `json:"interaction"` // read, search-type, operation, capabilities, …
	Resource       string    `json:"resource_type,omitempty"`
	Path           string    `json:"path"`
	Params         []string  `json:"params,omitempty"` // parameter names only: values may identify patients
	Patients       []string  `json:"patients"`         // ids of the patients whose data were returned
	Count          int       `json:"count"`            // resources returned
	Status         int       `json:"status"`
	Outcome        string    `json:"outcome"` // success, or the error's class
	ClientIP       string    `json:"client_ip,omitempty"`
}

// Sink receives records. Write must not return before the record is
// durable.
type Sink interface {
	Write(r Record) error
}

// Writer writes records as JSON lines to w (standard output, say).
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a sink that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes one line.
func (s *Writer) Write(r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.w.Write(append(b, '\n'))
	return err
}

// File writes records to a file, synced after every record, and rotates it
// when it passes MaxBytes: path becomes path.1, path.1 becomes path.2, …,
// keeping Keep old files. A record is written whole or not at all: a write
// that fails part-way (a full disk) is cut back off the file. When the file
// is renamed or deleted under it (by logrotate, an operator), the next
// record goes to a new file at the path.
type File struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	keep     int
	f        *os.File
	size     int64
	// failed is the last write's error, until a write succeeds or the
	// disk is seen to have room again.
	failed   error
	failedAt time.Time
}

// OpenFile opens (or creates) the audit file.
func OpenFile(path string, maxBytes int64, keep int) (*File, error) {
	if maxBytes <= 0 {
		maxBytes = 100 << 20
	}
	if keep <= 0 {
		keep = 10
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	s := &File{path: path, maxBytes: maxBytes, keep: keep}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

// open opens the file at the path for appending, and cuts off a partial
// last line that an earlier failure could not remove.
func (s *File) open() error {
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	size, err := wholeLines(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: %s: %w", s.path, err)
	}
	s.f, s.size = f, size
	return nil
}

// wholeLines returns the length of the file up to and including its last
// newline, cutting off anything after it.
func wholeLines(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	end := st.Size()
	buf := make([]byte, 4096)
	for pos := end; pos > 0; {
		n := int64(len(buf))
		if pos < n {
			n = pos
		}
		pos -= n
		if _, err := f.ReadAt(buf[:n], pos); err != nil {
			return 0, err
		}
		for i := n - 1; i >= 0; i-- {
			if buf[i] == '\n' {
				keep := pos + i + 1
				if keep < end {
					return keep, cut(f, keep)
				}
				return keep, nil
			}
		}
	}
	if end > 0 {
		return 0, cut(f, 0)
	}
	return 0, nil
}

func cut(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

// current makes sure the open file is the one at the path, reopening it
// when it was renamed or deleted, and takes its real size (someone may
// have truncated it in place, as logrotate's copytruncate does).
func (s *File) current() error {
	if s.f != nil {
		at, err1 := os.Stat(s.path)
		open, err2 := s.f.Stat()
		if err1 == nil && err2 == nil && os.SameFile(at, open) {
			s.size = open.Size()
			return nil
		}
		s.f.Close()
		s.f = nil
	}
	return s.open()
}

// Write appends the record and syncs the file; on failure the file is left
// as it was before.
func (s *File) Write(r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.current(); err != nil {
		return err
	}
	if s.size+int64(len(b)) > s.maxBytes && s.size > 0 {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	n, err := s.f.Write(b)
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		if n > 0 {
			if cerr := cut(s.f, s.size); cerr != nil {
				// The fragment stays for now; reopening cuts it off.
				s.f.Close()
				s.f = nil
			}
		}
		s.failed, s.failedAt = fmt.Errorf("audit: %w", err), time.Now()
		return s.failed
	}
	s.size += int64(n)
	s.failed = nil
	return nil
}

func (s *File) rotate() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	s.f = nil
	for i := s.keep - 1; i >= 1; i-- {
		_ = os.Rename(s.path+"."+strconv.Itoa(i), s.path+"."+strconv.Itoa(i+1))
	}
	if err := os.Rename(s.path, s.path+".1"); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return s.open()
}

// errNoReserve: the file system cannot tell whether it has room.
var errNoReserve = errors.New("the file system cannot reserve space")

// reserveBytes is the room a readiness probe asks of the disk.
const reserveBytes = 64 << 10

// failedFor is how long a failed write keeps the sink unwritable when the
// disk cannot be asked whether it has room again: after it, requests are
// let through to try (and a new failure starts it over).
const failedFor = 30 * time.Second

// Writable reports whether a record could be written now: the file is
// open at its path (reopened if it was moved) and the disk has room for
// records (space is reserved past the file's end, which changes none of
// it). Where the file system cannot reserve space, a write that failed
// in the last 30 seconds makes the sink unwritable.
func (s *File) Writable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.current(); err != nil {
		return err
	}
	switch err := reserve(s.f, s.size, reserveBytes); {
	case err == nil:
		s.failed = nil
		return nil
	case errors.Is(err, errNoReserve):
		if s.failed != nil && time.Since(s.failedAt) < failedFor {
			return s.failed
		}
		return nil
	default:
		return fmt.Errorf("audit: %s: %w", s.path, err)
	}
}

// Close closes the file.
func (s *File) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}
