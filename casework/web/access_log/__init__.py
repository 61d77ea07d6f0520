"""Who opened personal data: the access log as organizers and administrators read it."""
