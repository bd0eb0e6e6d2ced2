package evidence

import "github.com/touchprobe/touchprobe/probes"

// The HAR a run keeps, as probes writes it.
type (
	HAR            = probes.HAR
	HARLog         = probes.HARLog
	HARCreator     = probes.HARCreator
	HARPage        = probes.HARPage
	HARPageTimings = probes.HARPageTimings
	HAREntry       = probes.HAREntry
	HARRequest     = probes.HARRequest
	HARResponse    = probes.HARResponse
	HARNameValue   = probes.HARNameValue
	HARCookie      = probes.HARCookie
	HARPostData    = probes.HARPostData
	HARContent     = probes.HARContent
	HARTimings     = probes.HARTimings
)
