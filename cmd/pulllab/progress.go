package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/pulllab/pulllab/crcctl"
)

// progress shows a download: a bar redrawn in place on a smart terminal,
// otherwise a plain line at every 10% (every 10 MiB when the size is
// unknown), so CI logs stay short.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	smart    bool
	name     string
	lastStep int64
	lastDraw time.Time
	drawn    bool
	now      func() time.Time
}

func newProgress(w io.Writer, smart bool, name string) *progress {
	return &progress{w: w, smart: smart, name: name, lastStep: -1, now: time.Now}
}

// update is a crcctl.Downloader Progress callback.
func (p *progress) update(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.smart {
		if t := p.now(); t.Sub(p.lastDraw) >= 100*time.Millisecond || done == total {
			p.lastDraw = t
			p.drawn = true
			fmt.Fprintf(p.w, "\r   %s %s", p.name, bar(done, total, 30))
		}
		return
	}
	var step int64
	if total > 0 {
		step = done * 10 / total
	} else {
		step = done / (10 << 20)
	}
	if step == p.lastStep {
		return
	}
	p.lastStep = step
	if total > 0 {
		fmt.Fprintf(p.w, "   %s: %d%% (%s of %s)\n", p.name, step*10, crcctl.HumanBytes(done), crcctl.HumanBytes(total))
	} else {
		fmt.Fprintf(p.w, "   %s: %s\n", p.name, crcctl.HumanBytes(done))
	}
}

// finish clears the bar's line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.smart && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// bar renders "[=========>      ]  45% 13.2 MiB / 29.4 MiB".
func bar(done, total int64, width int) string {
	if total <= 0 {
		return crcctl.HumanBytes(done)
	}
	if done > total {
		done = total
	}
	filled := int(done * int64(width) / total)
	b := strings.Repeat("=", filled)
	if filled < width {
		b += ">" + strings.Repeat(" ", width-filled-1)
	}
	return fmt.Sprintf("[%s] %3d%% %s / %s", b, done*100/total, crcctl.HumanBytes(done), crcctl.HumanBytes(total))
}
