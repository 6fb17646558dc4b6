// Package deploy holds no code: it is the home of the files that put egate
// on a lane and of their tests.
//
// # Contents
//
//   - systemd/egated.service: the unit (Type=notify, watchdog, hardening).
//   - udev/60-egate.rules: device access for the egate user's groups.
//   - deb/: the Debian package (build-deb.sh, maintainer scripts).
//   - cross/sysroot-arm64.sh: the arm64 OpenCV sysroot for the cgo cross-build.
//   - broker/: the central mosquitto configuration, ACL and lane certificates.
//   - cvprobe/: a build check that gocv links and reads the face models.
//   - deploy.mk: make deb, deb-arm64, qemu-check, deploy-test.
//   - FIELD-GUIDE.md: wiring, install, commissioning, update and rollback.
//
// The tests check the unit with systemd-analyze, the udev rules' syntax,
// the maintainer scripts' syntax, and the broker ACL against a real
// mosquitto on loopback. Nothing imports this package.
package deploy
