package gen

// labTypes are the lab's event_type values by kind; process_start and
// user_login are the lab's own, the others extend it.
var labTypes = [...]string{
	kProcess:  "process_start",
	kAuth:     "user_login",
	kNetwork:  "network_connection",
	kDNS:      "dns_query",
	kFile:     "file_create",
	kRegistry: "registry_set",
	kWeb:      "http_request",
	kService:  "service_install",
	kTask:     "task_create",
	kLogClear: "log_clear",
}

// appendLab appends e as one flat object of the course lab's format:
// event_id, timestamp, user, host, source_ip, event_type, then the fields
// of its type, then the ground truth.
func (g *Generator) appendLab(dst []byte, e *record, r *run) []byte {
	h := e.Host
	dst = append(dst, `{"event_id":"`...)
	dst = appendUUID(dst, g.r.Uint64(), g.r.Uint64())
	dst = append(dst, `","timestamp":"`...)
	dst = g.appendTime(dst, e.Time)
	dst = append(dst, `","user":`...)
	if e.User != "" {
		dst = appendStr(dst, e.User)
	} else {
		dst = append(dst, `"-"`...)
	}
	dst = append(dst, `,"host":`...)
	dst = appendStr(dst, h.Name)
	dst = append(dst, `,"source_ip":`...)
	if e.SrcIP != "" {
		dst = appendStr(dst, e.SrcIP)
	} else {
		dst = appendStr(dst, h.IP)
	}
	dst = append(dst, `,"event_type":`...)
	typ := labTypes[e.Kind]
	if e.Kind == kFile {
		switch e.Action {
		case "file-renamed":
			typ = "file_rename"
		case "file-deleted":
			typ = "file_delete"
		}
	}
	dst = appendStr(dst, typ)
	if h.OS == windows {
		dst = append(dst, `,"host_os":"windows","log_source":`...)
	} else {
		dst = append(dst, `,"host_os":"linux","log_source":`...)
	}
	dst = appendStr(dst, sensors[e.Sensor].dataset)
	if e.Code != "" {
		dst = append(dst, `,"event_code":`...)
		dst = appendStr(dst, e.Code)
	}

	switch e.Kind {
	case kProcess:
		dst = labProcess(dst, e)
		dst = append(dst, `,"command_line":`...)
		dst = appendStr(dst, e.Proc.Cmd)
		dst = append(dst, `,"process_id":`...)
		dst = appendInt(dst, int64(e.Proc.PID))
		dst = append(dst, `,"parent_process":`...)
		dst = appendStr(dst, baseName(e.Parent.Exe))
		dst = append(dst, `,"parent_process_path":`...)
		dst = appendStr(dst, e.Parent.Exe)
		dst = append(dst, `,"parent_command_line":`...)
		dst = appendStr(dst, e.Parent.Cmd)
		dst = append(dst, `,"parent_process_id":`...)
		dst = appendInt(dst, int64(e.Parent.PID))
		if e.Sensor == sSysmon {
			dst = append(dst, `,"original_file_name":`...)
			dst = appendStr(dst, originalName(&e.Proc))
			dst = append(dst, `,"integrity_level":`...)
			dst = appendStr(dst, e.Integrity)
		}
	case kAuth:
		dst = append(dst, `,"logon_type":`...)
		dst = appendStr(dst, e.Outcome)
		dst = append(dst, `,"logon_kind":`...)
		if e.Sensor == sSSHD {
			dst = append(dst, `"ssh","auth_method":`...)
			dst = appendStr(dst, e.SSHMethod)
		} else {
			dst = appendStr(dst, logonTypeNames[e.LogonType])
			dst = append(dst, `,"windows_logon_type":"`...)
			dst = appendInt(dst, int64(e.LogonType))
			dst = append(dst, '"')
			if e.Workstation != "" {
				dst = append(dst, `,"workstation":`...)
				dst = appendStr(dst, e.Workstation)
			}
		}
		if e.SrcPort > 0 {
			dst = append(dst, `,"source_port":`...)
			dst = appendInt(dst, int64(e.SrcPort))
		}
	case kNetwork:
		dst = labDest(dst, e)
		if e.SrcPort > 0 {
			dst = append(dst, `,"source_port":`...)
			dst = appendInt(dst, int64(e.SrcPort))
		}
		dst = append(dst, `,"network_transport":`...)
		dst = appendStr(dst, e.Transport)
		dst = append(dst, `,"network_direction":`...)
		dst = appendStr(dst, e.Direction)
		switch e.Sensor {
		case sSysmon:
			dst = labProcess(dst, e)
		case sFirewall:
			if e.Action == "firewall-allow" {
				dst = append(dst, `,"network_action":"allow"`...)
			} else {
				dst = append(dst, `,"network_action":"deny"`...)
			}
		case sZeekConn:
			dst = append(dst, `,"conn_state":`...)
			dst = appendStr(dst, e.ConnState)
		}
		if e.Sensor != sSysmon {
			dst = append(dst, `,"bytes_out":`...)
			dst = appendInt(dst, e.SrcBytes)
			dst = append(dst, `,"bytes_in":`...)
			dst = appendInt(dst, e.DstBytes)
		}
	case kDNS:
		dst = labDest(dst, e)
		dst = append(dst, `,"dns_query":`...)
		dst = appendStr(dst, e.Query)
		dst = append(dst, `,"dns_type":`...)
		dst = appendStr(dst, e.QType)
		dst = append(dst, `,"dns_registered_domain":`...)
		dst = appendStr(dst, e.RegDomain)
		if e.Answer != "" {
			dst = append(dst, `,"dns_answer":`...)
			dst = appendStr(dst, e.Answer)
		}
		if e.Sensor == sSysmon {
			dst = labProcess(dst, e)
		}
	case kFile:
		dst = append(dst, `,"file_path":`...)
		dst = appendStr(dst, e.Path)
		dst = labProcess(dst, e)
	case kRegistry:
		_, _, name := splitRegPath(e.Path)
		dst = append(dst, `,"registry_path":`...)
		dst = appendStr(dst, e.Path)
		dst = append(dst, `,"registry_value":`...)
		dst = appendStr(dst, e.RegData)
		dst = append(dst, `,"registry_value_name":`...)
		dst = appendStr(dst, name)
		dst = append(dst, `,"registry_type":`...)
		dst = appendStr(dst, e.RegType)
		dst = labProcess(dst, e)
	case kWeb:
		dst = labDest(dst, e)
		dst = append(dst, `,"url":`...)
		dst = appendURL(dst, e)
		dst = append(dst, `,"url_path":`...)
		dst = appendStr(dst, e.URLPath)
		if e.URLQuery != "" {
			dst = append(dst, `,"url_query":`...)
			dst = appendStr(dst, e.URLQuery)
		}
		dst = append(dst, `,"http_method":`...)
		dst = appendStr(dst, e.Method)
		dst = append(dst, `,"http_status":`...)
		dst = appendInt(dst, int64(e.Status))
		dst = append(dst, `,"user_agent":`...)
		dst = appendStr(dst, e.UA)
		dst = append(dst, `,"bytes_out":`...)
		dst = appendInt(dst, e.RespBytes)
	case kService:
		dst = append(dst, `,"service_name":`...)
		dst = appendStr(dst, e.SvcName)
		dst = append(dst, `,"service_path":`...)
		dst = appendStr(dst, e.SvcPath)
		dst = append(dst, `,"service_start_type":`...)
		dst = appendStr(dst, e.SvcStart)
		dst = append(dst, `,"service_account":`...)
		dst = appendStr(dst, e.SvcAccount)
	case kTask:
		dst = append(dst, `,"task_name":`...)
		dst = appendStr(dst, e.TaskName)
		dst = append(dst, `,"task_command":`...)
		dst = appendStr(dst, e.TaskCmd)
		if e.TaskArgs != "" {
			dst = append(dst, `,"task_arguments":`...)
			dst = appendStr(dst, e.TaskArgs)
		}
		dst = append(dst, `,"task_content":`...)
		dst = appendStr(dst, e.TaskContent)
	case kLogClear:
		dst = append(dst, `,"log_name":`...)
		dst = appendStr(dst, e.Channel)
	}
	return appendTruth(dst, e, r)
}

// labProcess appends process_name (the bare file name, as the lab has it)
// and process_path.
func labProcess(dst []byte, e *record) []byte {
	dst = append(dst, `,"process_name":`...)
	dst = appendStr(dst, baseName(e.Proc.Exe))
	dst = append(dst, `,"process_path":`...)
	return appendStr(dst, e.Proc.Exe)
}

func labDest(dst []byte, e *record) []byte {
	dst = append(dst, `,"destination_ip":`...)
	dst = appendStr(dst, e.DstIP)
	if e.DstPort > 0 {
		dst = append(dst, `,"destination_port":`...)
		dst = appendInt(dst, int64(e.DstPort))
	}
	return dst
}
