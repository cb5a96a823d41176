package main

import (
	"encoding/json"
	"io"
	"path/filepath"

	"github.com/gofixconc/gofixconc/internal/engine"
	"github.com/gofixconc/gofixconc/internal/rules"
)

// SARIF 2.1.0, the subset code-scanning services read: one run, the rules
// as the tool's driver rules, one result per finding.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
	FullDescription  sarifMessage `json:"fullDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

func (a *app) writeSARIF(w io.Writer, findings []engine.Finding) error {
	drv := sarifDriver{Name: "gofixconc", InformationURI: "https://github.com/gofixconc/gofixconc", Version: buildVersion()}
	for _, r := range rules.All() {
		drv.Rules = append(drv.Rules, sarifRule{ID: r.Name, ShortDescription: sarifMessage{r.Title}, FullDescription: sarifMessage{r.Doc.Why}})
	}
	run := sarifRun{Tool: sarifTool{Driver: drv}, Results: []sarifResult{}}
	for _, f := range findings {
		msg := f.Message
		if f.Fixable && f.FixTitle != "" {
			msg += " (fix: " + f.FixTitle + ")"
		}
		run.Results = append(run.Results, sarifResult{
			RuleID:  f.Rule,
			Level:   "warning",
			Message: sarifMessage{msg},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(a.rel(f.File))},
				Region:           sarifRegion{StartLine: f.Line, StartColumn: f.Col, EndLine: f.EndLine, EndColumn: f.EndCol},
			}}},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}
