module netpol-hygiene.local/node-images

go 1.26
