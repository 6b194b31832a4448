# The signal bench's default program (run by busybox sh in the busybox rootfs): a small service
# with traps, as many real services have. TERM and INT end it cleanly, HUP is handled and it goes
# on, USR1 is not trapped (its default action kills the shell: 128+10), and QUIT is ignored by
# busybox sh itself, as by ash and dash: the bench shows it. With BENCH_CASE=stop it ignores TERM
# (it says so and goes on), to show bottle stop's timeout.
trap 'echo "trapped TERM, exiting 0"; exit 0' TERM
trap 'echo "trapped INT, exiting 130"; exit 130' INT
trap 'echo "trapped HUP, reloading"' HUP
if [ "${BENCH_CASE:-}" = stop ]; then
    trap 'echo "trapped TERM, ignoring it"' TERM
fi
echo "ready"
# A trap runs as soon as the signal arrives: wait returns early, the loop goes on.
while :; do
    sleep 1 &
    wait $!
done
