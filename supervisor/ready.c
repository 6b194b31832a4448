/* Readiness other than "exec": sd_notify (READY=1 on the NOTIFY_SOCKET the shim offers in the
 * container) and s6-style notification fds. A stub until they are wired: such services are
 * never reported ready. */
#include "sup.h"

void sup_ready_arm(struct sup_service *svc)
{
    (void)svc;
}

void sup_ready_disarm(struct sup_service *svc)
{
    (void)svc;
}
