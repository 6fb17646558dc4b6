package mqtt

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/mqtt/outbox"
)

// outcome is what happened to one command.
type outcome struct {
	ok     bool
	code   string
	reason string
	detail string // extra, e.g. from the watchlist
}

// commandWorker handles commands one at a time, in arrival order.
func (c *Client) commandWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case in := <-c.cmdIn:
			c.handleCommand(ctx, in)
		}
	}
}

// handleCommand verifies, records the nonce, carries out and reports one
// command. Nothing reaches the lane unless every check passed and the
// nonce is on disk.
func (c *Client) handleCommand(ctx context.Context, in inbound) {
	name := strings.TrimPrefix(in.topic, c.prefix+"cmd/")
	now := c.opts.Now()
	v, cl, rej := c.verifier.verify(name, in.payload, now)
	if rej == nil && in.retained {
		rej = reject(CodeMalformed, "retained commands are refused: a retained message is delivered again at every subscribe")
	}
	if rej == nil {
		cl = claimed{Key: v.Key, Nonce: v.Body.Nonce, Cmd: v.Body.Cmd}
		fresh, err := c.st.NonceRemember(ctx, v.Body.Nonce, v.Key, time.Unix(v.Body.Exp, 0), now, c.opts.Commands.NonceRetention)
		switch {
		case err != nil:
			c.log.Error("command refused: nonce not recorded", "err", err)
			rej = reject(CodeLaneError, "nonce could not be recorded")
		case !fresh:
			rej = reject(CodeReplay, "nonce already used")
		}
	}
	if cl.Cmd == "" && len(name) <= 64 && nameRe.MatchString(name) {
		cl.Cmd = name // the topic's name, for the ack of an unknown or unverified command
	}
	var out outcome
	if rej != nil {
		out = outcome{code: rej.Code, reason: rej.Detail}
		if !c.allowRejection(now) {
			c.logThrottled("cmdthrottle", slog.LevelWarn, "command rejections over the rate limit: counted, not acked", "code", rej.Code)
			return
		}
	} else {
		out = c.execute(ctx, v)
	}
	c.report(ctx, cl, out, rej != nil)
}

// allowRejection limits the acks and audit rows of rejected commands.
func (c *Client) allowRejection(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.rejAt) >= time.Minute || now.Before(c.rejAt) {
		c.rejAt, c.rejN = now, 0
	}
	if c.rejN >= rejectionsPerMinute {
		c.m.cmdThrottled++
		return false
	}
	c.rejN++
	c.m.cmdRejected++
	return true
}

// execute carries out a verified command whose nonce is recorded.
func (c *Client) execute(ctx context.Context, v Verified) outcome {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Commands.Timeout)
	defer cancel()
	origin := "mqtt:" + v.Key
	lane := func(k gate.CommandKind) outcome {
		res, err := c.lane.Command(ctx, gate.Command{Kind: k, Origin: origin})
		switch {
		case err != nil:
			return outcome{code: CodeLaneError, reason: "lane did not answer: " + err.Error()}
		case !res.OK:
			return outcome{code: CodeRefused, reason: res.Reason}
		}
		return outcome{ok: true, code: CodeOK, reason: res.Reason}
	}
	switch v.Body.Cmd {
	case "lock":
		return lane(gate.CmdLock)
	case "unlock":
		return lane(gate.CmdUnlock)
	case "emergency_open":
		return lane(gate.CmdEmergencyOpen)
	case "emergency_clear":
		return lane(gate.CmdEmergencyClear)
	case "set_mode":
		switch v.Mode {
		case "maintenance":
			return lane(gate.CmdMaintenanceOn)
		case "out_of_service":
			return lane(gate.CmdOutOfService)
		}
		// normal: leave whichever operator mode the lane is in.
		switch s := c.lane.Status().State; s {
		case gate.Maintenance:
			return lane(gate.CmdMaintenanceOff)
		case gate.OutOfService:
			return lane(gate.CmdInService)
		case gate.Locked:
			return outcome{code: CodeRefused, reason: "lane is locked: send unlock"}
		case gate.Emergency:
			return outcome{code: CodeRefused, reason: "lane is in emergency: send emergency_clear"}
		default:
			return outcome{ok: true, code: CodeOK, reason: "already normal (" + s.String() + ")"}
		}
	case "watchlist_delta":
		if c.opts.Watchlist == nil {
			return outcome{code: CodeUnsupported, reason: "this lane has no watchlist"}
		}
		detail, err := c.opts.Watchlist.ApplyWatchlistDelta(ctx, v.Body.Args)
		if err != nil {
			return outcome{code: CodeRefused, reason: redact(err.Error())}
		}
		return outcome{ok: true, code: CodeOK, detail: redact(detail)}
	case "config_reload":
		if c.opts.Reloader == nil {
			return outcome{code: CodeUnsupported, reason: "this lane cannot reload its configuration"}
		}
		if err := c.opts.Reloader.ReloadConfig(ctx); err != nil {
			return outcome{code: CodeRefused, reason: redact(err.Error())}
		}
		return outcome{ok: true, code: CodeOK}
	case "status_request":
		c.wakeStatus()
		return outcome{ok: true, code: CodeOK, reason: "status follows on the status topic"}
	}
	return outcome{code: CodeUnknownCommand, reason: "unknown command"} // verify let it through: a bug
}

// report writes the audit row and queues the ack.
func (c *Client) report(ctx context.Context, cl claimed, out outcome, rejected bool) {
	now := c.opts.Now()
	c.mu.Lock()
	switch {
	case out.ok:
		c.m.cmdOK++
	case !rejected:
		c.m.cmdRefused++
	}
	c.mu.Unlock()
	level := slog.LevelInfo
	if !out.ok {
		level = slog.LevelWarn
	}
	c.log.Log(ctx, level, "command", "cmd", cl.Cmd, "key", cl.Key, "nonce", cl.Nonce, "ok", out.ok, "code", out.code, "reason", out.reason)
	data := map[string]any{"cmd": cl.Cmd, "key": cl.Key, "nonce": cl.Nonce, "ok": out.ok, "code": out.code, "reason": redact(out.reason)}
	if out.detail != "" {
		data["detail"] = out.detail
	}
	audit := map[string]any{"source": "mqtt"}
	for k, v := range data {
		audit[k] = v
	}
	if err := c.st.RecordCommand(context.WithoutCancel(ctx), now, c.opts.Lane, audit); err != nil {
		c.log.Error("command not audited", "err", err)
	}
	class := outbox.Keep
	if rejected {
		class = outbox.Event // droppable: a flood of junk must not crowd out decisions
	}
	_ = c.enqueue(context.WithoutCancel(ctx), class, "cmd/ack", "cmd_ack", now, data)
}
