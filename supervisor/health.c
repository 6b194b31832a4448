/* Health checks ("exec" in the container, "tcp") while a service runs. A stub until wired. */
#include "sup.h"

void sup_health_start(struct sup_service *svc)
{
    (void)svc;
}

void sup_health_stop(struct sup_service *svc)
{
    (void)svc;
}

void sup_health_pause(struct sup_service *svc, bool paused)
{
    (void)svc;
    (void)paused;
}
