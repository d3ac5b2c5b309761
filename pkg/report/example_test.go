package report_test

import (
	"os"

	"github.com/hutchctr/hutch/pkg/report"
)

type container struct {
	ID    string `json:"Id"`
	Names []string
}

type row struct{ ID, Names string }

func ExampleWriteList() {
	items := []container{{ID: "2455260fa90bf5cd", Names: []string{"web"}}}
	view := func(c container) row { return row{ID: report.ShortID(c.ID), Names: c.Names[0]} }
	table := report.Table{Default: "table {{.ID}}\t{{.Names}}", Headers: map[string]string{"ID": "CONTAINER ID"}}

	for _, format := range []string{"", "{{.Names}} is {{.ID}}", "json"} {
		_ = report.WriteList(os.Stdout, report.ParseFormat(format), table, items, view)
	}
	// Output:
	// CONTAINER ID  NAMES
	// 2455260fa90b  web
	// web is 2455260fa90b
	// [
	//     {
	//         "Id": "2455260fa90bf5cd",
	//         "Names": [
	//             "web"
	//         ]
	//     }
	// ]
}

func ExampleHumanSize() {
	say := func(s string) { os.Stdout.WriteString(s + "\n") }
	say(report.HumanSize(1987655))
	say(report.HumanDuration(90_000_000_000) + " ago")
	// Output:
	// 1.99 MB
	// About a minute ago
}
