//! What the startup benchmark sees on the X display (Xvfb, no window manager): the moment an
//! app's toplevel window is mapped (`MapNotify` on the root window, through
//! `SubstructureNotify`) and each frame painted into it afterwards (XDamage notifications at
//! the `NonEmpty` level, subtracted one by one, so each burst of drawing counts once).

use x11rb::connection::Connection;
use x11rb::protocol::damage::{self, ConnectionExt as _};
use x11rb::protocol::xfixes::ConnectionExt as _;
use x11rb::protocol::xproto::{self, ChangeWindowAttributesAux, ConnectionExt as _, EventMask};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

/// Something the display reported.
pub enum Seen {
    /// A toplevel window (a child of the root window that is not override-redirect) was mapped.
    Mapped(u32),
    /// The watched window was painted into (one damage notification).
    Painted,
}

/// A connection to the display that watches the root window for mapped toplevels.
pub struct Display {
    conn: RustConnection,
    root: u32,
    net_wm_pid: u32,
    damage: Option<u32>,
}

impl Display {
    /// Connects to `$DISPLAY`, checks that it has XDamage, and starts watching the root window.
    pub fn connect() -> Result<Self, String> {
        let (conn, screen) = RustConnection::connect(None)
            .map_err(|err| format!("cannot connect to the X display ($DISPLAY): {err}"))?;
        let root = conn.setup().roots[screen].root;
        let failed = |what: &str, err: &dyn std::fmt::Display| format!("X: {what}: {err}");
        // XDamage needs XFixes; both must be asked for their versions before use.
        conn.xfixes_query_version(5, 0)
            .map_err(|err| failed("XFixes", &err))?
            .reply()
            .map_err(|err| failed("no XFixes extension", &err))?;
        conn.damage_query_version(1, 1)
            .map_err(|err| failed("XDamage", &err))?
            .reply()
            .map_err(|err| failed("no XDamage extension", &err))?;
        let net_wm_pid = conn
            .intern_atom(false, b"_NET_WM_PID")
            .map_err(|err| failed("intern _NET_WM_PID", &err))?
            .reply()
            .map_err(|err| failed("intern _NET_WM_PID", &err))?
            .atom;
        let events = ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY);
        conn.change_window_attributes(root, &events)
            .map_err(|err| failed("watch the root window", &err))?
            .check()
            .map_err(|err| failed("watch the root window", &err))?;
        Ok(Self {
            conn,
            root,
            net_wm_pid,
            damage: None,
        })
    }

    /// Makes sure the server has seen every request so far (the watch is in place before an
    /// app starts), then drops whatever was reported before.
    pub fn settle(&mut self) -> Result<(), String> {
        self.conn
            .get_input_focus()
            .map_err(|err| format!("X: {err}"))?
            .reply()
            .map_err(|err| format!("X: {err}"))?;
        while self.next()?.is_some() {}
        Ok(())
    }

    /// The next event of interest that has arrived, without waiting.
    pub fn next(&mut self) -> Result<Option<Seen>, String> {
        loop {
            let event = self
                .conn
                .poll_for_event()
                .map_err(|err| format!("X connection lost: {err}"))?;
            let Some(event) = event else { return Ok(None) };
            match event {
                Event::MapNotify(map) if map.event == self.root && !map.override_redirect => {
                    return Ok(Some(Seen::Mapped(map.window)));
                }
                Event::DamageNotify(notify) if Some(notify.damage) == self.damage => {
                    self.conn
                        .damage_subtract(notify.damage, x11rb::NONE, x11rb::NONE)
                        .map_err(|err| format!("X: {err}"))?;
                    self.conn.flush().map_err(|err| format!("X: {err}"))?;
                    return Ok(Some(Seen::Painted));
                }
                _ => {}
            }
        }
    }

    /// The `_NET_WM_PID` a window's client set on it, if any.
    pub fn window_pid(&self, window: u32) -> Option<u32> {
        let reply = self
            .conn
            .get_property(
                false,
                window,
                self.net_wm_pid,
                xproto::AtomEnum::CARDINAL,
                0,
                1,
            )
            .ok()?
            .reply()
            .ok()?;
        let pid = reply.value32()?.next();
        pid
    }

    /// Starts counting the frames painted into `window` (replacing the previous window's count).
    pub fn watch_frames(&mut self, window: u32) -> Result<(), String> {
        self.stop_watching_frames();
        let damage = self.conn.generate_id().map_err(|err| format!("X: {err}"))?;
        self.conn
            .damage_create(damage, window, damage::ReportLevel::NON_EMPTY)
            .map_err(|err| format!("X: {err}"))?;
        self.conn.flush().map_err(|err| format!("X: {err}"))?;
        self.damage = Some(damage);
        Ok(())
    }

    /// Stops counting frames (the window may be gone already: errors are of no interest).
    pub fn stop_watching_frames(&mut self) {
        if let Some(damage) = self.damage.take() {
            let _ = self.conn.damage_destroy(damage);
            let _ = self.conn.flush();
        }
    }
}
