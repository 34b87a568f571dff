package audit

import (
	"encoding/json"
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
	RequestID      string    `json:"request_id"`
	SSPTraceID     string    `json:"ssp_trace_id,omitempty"`
	SSPFrom        string    `json:"ssp_from,omitempty"`        // the consumer's ASID
	SSPTo          string    `json:"ssp_to,omitempty"`          // this service's ASID
	SSPInteraction string    `json:"ssp_interaction,omitempty"` // Ssp-InteractionID
	Issuer         string    `json:"iss,omitempty"`
	Subject        string    `json:"sub,omitempty"`
	ClientID       string    `json:"client_id,omitempty"`
	Practitioner   string    `json:"practitioner,omitempty"`
	Organisation   string    `json:"organisation,omitempty"`
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
// keeping Keep old files.
type File struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	keep     int
	f        *os.File
	size     int64
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

func (s *File) open() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	s.f, s.size = f, st.Size()
	return nil
}

// Write appends the record and syncs the file.
func (s *File) Write(r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.size+int64(len(b)) > s.maxBytes && s.size > 0 {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	n, err := s.f.Write(b)
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func (s *File) rotate() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	for i := s.keep - 1; i >= 1; i-- {
		_ = os.Rename(s.path+"."+strconv.Itoa(i), s.path+"."+strconv.Itoa(i+1))
	}
	if err := os.Rename(s.path, s.path+".1"); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return s.open()
}

// Close closes the file.
func (s *File) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}
