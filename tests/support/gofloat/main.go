// Reference for srekit's number formatting (core/tests/expfmt_go_float.rs): reads one f64 per line as
// 16 hex digits of its bits and writes it as client_golang's text encoder (writeFloat) and its
// OpenMetrics encoder (writeOpenMetricsFloat) do, tab-separated. Run with `go run`.
package main

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
)

func text(f float64) string {
	switch {
	case f == 1:
		return "1"
	case f == 0:
		return "0"
	case f == -1:
		return "-1"
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, +1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func openMetrics(f float64) string {
	s := text(f)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return s
	}
	if !strings.ContainsAny(s, "e.") {
		s += ".0"
	}
	return s
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		bits, err := strconv.ParseUint(in.Text(), 16, 64)
		if err != nil {
			panic(err)
		}
		f := math.Float64frombits(bits)
		out.WriteString(text(f))
		out.WriteByte('\t')
		out.WriteString(openMetrics(f))
		out.WriteByte('\n')
	}
}
