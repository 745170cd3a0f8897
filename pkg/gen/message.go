package gen

// appendMessage appends the event's short human sentence, unescaped.
func appendMessage(dst []byte, e *record) []byte {
	switch e.Kind {
	case kProcess:
		dst = append(dst, "Process started: "...)
		dst = append(dst, baseName(e.Proc.Exe)...)
		dst = append(dst, " by "...)
		dst = appendAccount(dst, e)
		dst = append(dst, " (parent "...)
		dst = append(dst, baseName(e.Parent.Exe)...)
		return append(dst, ')')
	case kAuth:
		if e.Sensor == sSSHD {
			if e.Outcome == "success" {
				dst = append(dst, "Accepted "...)
			} else {
				dst = append(dst, "Failed "...)
			}
			dst = append(dst, e.SSHMethod...)
			dst = append(dst, " for "...)
			if e.InvalidUser {
				dst = append(dst, "invalid user "...)
			}
			dst = append(dst, e.User...)
			dst = append(dst, " from "...)
			dst = append(dst, e.SrcIP...)
			dst = append(dst, " port "...)
			dst = appendInt(dst, int64(e.SrcPort))
			return append(dst, " ssh2"...)
		}
		if e.Outcome == "success" {
			dst = append(dst, "An account was successfully logged on: "...)
		} else {
			dst = append(dst, "An account failed to log on: "...)
		}
		dst = appendAccount(dst, e)
		dst = append(dst, " ("...)
		dst = append(dst, logonTypeNames[e.LogonType]...)
		dst = append(dst, " logon"...)
		if e.SrcIP != "" {
			dst = append(dst, " from "...)
			dst = append(dst, e.SrcIP...)
		}
		return append(dst, ')')
	case kNetwork:
		switch e.Sensor {
		case sSysmon:
			dst = append(dst, "Network connection by "...)
			dst = append(dst, baseName(e.Proc.Exe)...)
			dst = append(dst, ": "...)
		case sFirewall:
			if e.Action == "firewall-allow" {
				dst = append(dst, "Firewall allowed "...)
			} else {
				dst = append(dst, "Firewall denied "...)
			}
		default:
			dst = append(dst, "Connection "...)
		}
		dst = append(dst, e.SrcIP...)
		dst = append(dst, ':')
		dst = appendInt(dst, int64(e.SrcPort))
		dst = append(dst, " -> "...)
		dst = append(dst, e.DstIP...)
		dst = append(dst, ':')
		dst = appendInt(dst, int64(e.DstPort))
		dst = append(dst, '/')
		return append(dst, e.Transport...)
	case kDNS:
		dst = append(dst, "DNS query for "...)
		dst = append(dst, e.Query...)
		dst = append(dst, " ("...)
		dst = append(dst, e.QType...)
		dst = append(dst, ") from "...)
		return append(dst, e.SrcIP...)
	case kFile:
		switch e.Action {
		case "file-created":
			dst = append(dst, "File created: "...)
		case "file-deleted":
			dst = append(dst, "File deleted: "...)
		default:
			dst = append(dst, "File renamed to "...)
		}
		dst = append(dst, e.Path...)
		dst = append(dst, " by "...)
		return append(dst, baseName(e.Proc.Exe)...)
	case kRegistry:
		dst = append(dst, "Registry value set: "...)
		dst = append(dst, e.Path...)
		dst = append(dst, " by "...)
		return append(dst, baseName(e.Proc.Exe)...)
	case kWeb:
		dst = append(dst, e.SrcIP...)
		dst = append(dst, ` "`...)
		dst = append(dst, e.Method...)
		dst = append(dst, ' ')
		dst = append(dst, e.URLPath...)
		if e.URLQuery != "" {
			dst = append(dst, '?')
			dst = append(dst, e.URLQuery...)
		}
		dst = append(dst, ` HTTP/1.1" `...)
		dst = appendInt(dst, int64(e.Status))
		dst = append(dst, ' ')
		return appendInt(dst, e.RespBytes)
	case kService:
		dst = append(dst, "A service was installed in the system: "...)
		dst = append(dst, e.SvcName...)
		dst = append(dst, " ("...)
		dst = append(dst, e.SvcPath...)
		return append(dst, ')')
	case kTask:
		dst = append(dst, "A scheduled task was created: "...)
		dst = append(dst, e.TaskName...)
		dst = append(dst, " by "...)
		return appendAccount(dst, e)
	case kLogClear:
		if e.Channel == "Security" {
			dst = append(dst, "The audit log was cleared by "...)
		} else {
			dst = append(dst, "The "...)
			dst = append(dst, e.Channel...)
			dst = append(dst, " log file was cleared by "...)
		}
		return appendAccount(dst, e)
	}
	return dst
}

// appendAccount appends DOMAIN\user, or the bare user on Linux.
func appendAccount(dst []byte, e *record) []byte {
	if e.Domain != "" {
		dst = append(dst, e.Domain...)
		dst = append(dst, '\\')
	}
	return append(dst, e.User...)
}
