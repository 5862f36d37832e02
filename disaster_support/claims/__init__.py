"""Who is handling a need or a notice draft, so two coordinators do not work on one."""
