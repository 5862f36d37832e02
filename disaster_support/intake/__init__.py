"""Official information in: the city's evacuation information and JMA reports."""
