package console

import (
	"net/url"
	"strings"

	"switchboard/internal/operators"
)

// ChargeLink is the page of the job a shift's charge was for (its ref in
// the business ledger: fax-job/{id}, fax/{register line}, copy/{session},
// print/{row}, which the print page finds by its command); "" when the
// job has no page.
func (v view) ChargeLink(c operators.ChargeItem) string {
	kind, id, ok := strings.Cut(c.Ref, "/")
	if !ok || id == "" {
		return ""
	}
	switch kind {
	case "fax-job":
		return "/fax/jobs/" + url.PathEscape(id)
	case "fax":
		return "/fax/inbox/" + url.PathEscape(id)
	case "copy":
		return "/copy/sessions/" + url.PathEscape(id)
	case "print":
		if c.CommandID != "" {
			return "/print/jobs/" + url.PathEscape(c.CommandID)
		}
	}
	return ""
}
